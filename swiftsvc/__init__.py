"""swiftsvc: a threaded storage-service library for OpenStack Swift."""
