"""civic311: a hosted, multi-tenant 311 platform."""

__version__ = "0.1.0"
