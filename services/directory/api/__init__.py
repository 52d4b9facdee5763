"""The directory's HTTP API (FastAPI routers): routes only; the rules live in usecases/."""
