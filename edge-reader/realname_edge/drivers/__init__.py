"""Card-reader drivers: one interface, chosen by name (see ``base.drivers_by_name``)."""
