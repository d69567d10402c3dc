from .inbox import inbox as home  # the first screen after login is "my tasks"

__all__ = ["home"]
