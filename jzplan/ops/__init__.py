"""Running jzplan's services: the Prefect server, work pool, deployments and worker of
``make ui``, and the health check of ``jzplan doctor``."""
