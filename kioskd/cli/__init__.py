"""kioskctl: the command line for staff, technicians and installers, a module per audience."""
