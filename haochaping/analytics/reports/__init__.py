"""The monthly 通报: its data (snapshot), charts and documents."""
