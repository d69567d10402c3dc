"""What a refused action got wrong, as one line for a message on the page it returns to."""

from django.core.exceptions import ValidationError


def error_text(exc) -> str:
    """Every message of a ValidationError (field errors included); the text of any other refusal."""
    if not isinstance(exc, ValidationError):
        return str(exc)
    return " ".join(
        m for msgs in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]) for m in msgs
    )
