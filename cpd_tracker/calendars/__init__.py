"""Calendar feeds a calendar app subscribes to (issue 17), and the pages that give them out."""
