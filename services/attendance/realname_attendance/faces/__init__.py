"""Face photos (PIPL art. 28-29): consent, the photo checked and sealed, its removal and retention."""
