"""Insights: follows and unfollows counted once."""

from __future__ import annotations

from pagetoken.authority import users
from pagetoken.authority.context import Authority

from .scene import scene


def test_follow_and_unfollow_count_once(auth: Authority) -> None:
    from pagetoken.authority import insights

    s = scene(auth)
    fan, _ = users.create(auth, "Fan", None, "password123")
    assert insights.unfollow(auth, s.page_id, fan.id) is False  # not a fan yet
    assert insights.follow(auth, s.page_id, fan.id) is True
    assert insights.follow(auth, s.page_id, fan.id) is False  # already one
    assert insights.unfollow(auth, s.page_id, fan.id) is True
    assert insights.unfollow(auth, s.page_id, fan.id) is False
