"""Use cases over ports (service_layer/ports.py): endpoints, fan-out, delivery, replay."""
