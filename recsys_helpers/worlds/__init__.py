"""Seeded simulated worlds with a known ground truth, for the case studies that ship no real data.

- :mod:`~recsys_helpers.worlds.shop` -- an online shop: funnel, consumables, drifting tastes (chapter 10);
- :mod:`~recsys_helpers.worlds.social` -- a social platform: follow graph, posts with text, likes,
  comments and shares (chapter 11);
- :mod:`~recsys_helpers.worlds.music` -- a music service: sessions, skips, replays, time of day
  (chapter 12);
- :mod:`~recsys_helpers.worlds.core` -- what they share; :func:`config_table` shows any world's
  config.

Import a world from its module (``from recsys_helpers.worlds.shop import simulate_shop``): this
package imports only the shared core.
"""

from recsys_helpers.worlds.core import config_table

__all__ = ["config_table"]
