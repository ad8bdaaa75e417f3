"""The SAM protocol of certified Chinese ID-card readers: frames, status words and the identity text record."""
