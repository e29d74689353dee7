# Two stages: the wheel is built from the sources, then installed (not editable) into a
# clean image, so the image runs exactly what `pip install touchpoint-*.whl` gives users.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY domain domain
COPY projections projections
COPY api api
COPY alembic alembic
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist

FROM python:3.11-slim
COPY --from=build /dist /dist
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir -c /tmp/requirements.lock /dist/*.whl && rm -rf /dist
WORKDIR /app
# The KEK keyring's folder (compose mounts a volume here): the service's user owns it.
RUN mkdir -m 0700 /var/lib/touchpoint-kek && chown nobody /var/lib/touchpoint-kek
USER nobody
EXPOSE 8000
CMD ["touchpoint", "serve", "--host", "0.0.0.0", "--port", "8000"]
