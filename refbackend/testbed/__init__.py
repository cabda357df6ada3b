"""What the reference backend's tests and benchmarks stand on: simulated kiosks, a throwaway PostgreSQL."""
