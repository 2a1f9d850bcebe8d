"""Infrastructure helpers: reading template.yaml, the local (moto) stack, the SAM build check."""
