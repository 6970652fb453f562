"""The YAML syntax (``*.studio.yaml``): reading it into the tree (``syntax``) and writing it back (``emit``)."""
