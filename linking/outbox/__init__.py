"""The notification outbox: rows written with each change (`Notification`), delivered by a
worker (`delivery`, run by the tasks in `linking.tasks`), watched by staff (`views`)."""
