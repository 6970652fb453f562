"""The build server: ``studio build``, ``check`` and ``plan`` handed to a process that has already
imported studio (see README.md). ``client`` is what the ``studio`` command runs first; ``daemon`` is
the server; ``address`` says where servers listen and which one a client may use."""
