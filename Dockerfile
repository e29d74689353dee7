FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY domain domain
COPY projections projections
COPY api api
COPY alembic alembic
RUN pip install --no-cache-dir -e .
USER nobody
EXPOSE 8000
CMD ["touchpoint", "serve", "--host", "0.0.0.0", "--port", "8000"]
