"""SMOKE — the post-deploy smoke flow (login → dashboard → core action → logout)."""
