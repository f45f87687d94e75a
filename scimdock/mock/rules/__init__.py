"""The mock's pure rules (docs/mock.md): plain data in, plain data out, no
I/O and no framework, as in ``scimdock.core``, which is all they import of
ours besides each other. The rest of ``scimdock.mock`` carries them out."""
