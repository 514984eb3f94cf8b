"""The coordination centre's wall display (1920×1080), also at /board?screen=1."""

from __future__ import annotations

from pages.ui.big_screen_view import render_big_screen

render_big_screen()
