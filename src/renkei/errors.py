from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    """A request a service refuses, with a message for the user in their language.

    Services raise it before writing anything (or inside the transaction they roll back),
    so a refused request changes nothing.
    """
