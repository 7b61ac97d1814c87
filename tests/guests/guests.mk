# Tiny freestanding test guests run on /dev/kvm (see tests/guests/README).
.PHONY: guest-check
guest-check:
