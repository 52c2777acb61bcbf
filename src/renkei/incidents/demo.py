"""This part's share of the demo world (called by renkei.demo.world after the core is built)."""


def load(builder) -> None:
    """Nothing yet."""
