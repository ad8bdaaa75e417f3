"""The site bridge: drives a site's vendor face gates for the platform (``realname-edge gates run|doctor``)."""
