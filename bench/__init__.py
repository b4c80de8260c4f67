"""SmartPay benchmarks: `make bench` runs them; each writes bench/results/<name>.json and a section of
docs/benchmarks.md, with its baseline measured in the same run."""
