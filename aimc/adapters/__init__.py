"""Adapters: thin shells that put the one compiler where users already work (Argo CD, Kustomize, KRM, pre-commit,
Git revisions for `aimc diff`)."""
