"""Loading: discover delivered files, validate them and publish them into the warehouse."""
