"""One module per operation; each exposes jobs (top-level functions taking the
worker's connection first) and a planner that yields :class:`~swiftsvc._pools.Job`
values for a :class:`~swiftsvc.ops._context.CallContext`."""
