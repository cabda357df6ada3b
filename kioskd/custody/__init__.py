"""Field technicians: dual-custody cash-box sessions and the service door."""
