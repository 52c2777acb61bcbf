from django.db import models
from django.utils.translation import gettext_lazy as _

LIVE_ENVIRONMENT_ID = 1


class TLP(models.TextChoices):
    """FIRST TLP 2.0. Decides how far a reader may pass an item on, not who reads it."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"

    @classmethod
    def parse(cls, value: str) -> "TLP":
        """Accept the forms people and feeds write: `TLP:WHITE`, `amber strict`, `Red`."""
        cleaned = value.strip().lower().removeprefix("tlp:").replace(" ", "+").replace("_", "+")
        if cleaned == "white":
            return cls.CLEAR
        return cls(cleaned)


# Strictness, from the widest marking to the narrowest.
TLP_ORDER = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)


def strictness(tlp: str) -> int:
    return TLP_ORDER.index(TLP(tlp))


def stricter(*levels: str) -> TLP:
    """The most restricted of the markings given (a stricter marking wins over a weaker one)."""
    return max((TLP(level) for level in levels), key=TLP_ORDER.index)


# TLP levels that never leave their audience: no re-sharing, no export off the platform.
CONFINED_TLP = frozenset({TLP.RED, TLP.AMBER_STRICT})


class AudienceMode(models.TextChoices):
    MEMBERS = "members", _("All members of the community")
    CHOSEN = "chosen", _("Chosen organisations and people")


class Environment(models.Model):
    """Live, or one exercise. Every community belongs to exactly one; nothing crosses."""

    class Kind(models.TextChoices):
        LIVE = "live", _("Live")
        EXERCISE = "exercise", _("Exercise")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
