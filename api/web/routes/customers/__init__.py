"""The customer routes: the single view and timeline (``profile``), finding a customer
and the screen pop (``search``), and whether they may be contacted (``contactability``)."""

__all__: list[str] = []
