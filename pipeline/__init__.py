"""DVC stages and the ``sleepdg`` command line: thin wrappers that read params and call the library."""
