"""aimc: compile AIMEndpoint specs into plain Kubernetes manifests."""

__version__ = "0.1.0"
