"""Workflows of the window, the hotline and J-LIS: one transaction each, the time passed in."""
