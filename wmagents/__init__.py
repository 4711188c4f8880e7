"""wmagents: reference PyTorch agents of the wmenvs papers (the ``agents`` extra)."""
