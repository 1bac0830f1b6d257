"""The domain core of Mulu: settings, persistence, the metadata profile, services, workflow and codes."""
