"""Upload-time semantic data: colours, pHash, metadata, faces, quality, accessibility,
detections and tags, computed from an original image."""
