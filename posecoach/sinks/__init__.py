"""Sinks consume events and summaries: console, overlay, voice, reports, history."""
