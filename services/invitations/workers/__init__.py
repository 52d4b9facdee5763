"""Background work of the service, each a `shared.workers.Worker` running a use case: the
sending workers (workers/sender.py), the reminder planner and the throttle tidying
(workers/periodic.py)."""
