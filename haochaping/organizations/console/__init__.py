"""Staff pages of organisations: rating devices (评价设备) and QR code posters."""
