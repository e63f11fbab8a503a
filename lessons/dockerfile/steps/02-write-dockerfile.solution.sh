mkdir -p ~/wisewhale && cd ~/wisewhale
cat > wisdom.txt <<'EOF'
Save your data outside the container.
Pin your versions: future you will say thanks.
An image is a recipe you can share.
It works on my machine, and now on yours too.
EOF
cat > Dockerfile <<'EOF'
# Start from the whalesay image: cowsay and its whale are already inside.
FROM docker/whalesay:latest

# Copy a file from the build context into the image (a new layer).
COPY wisdom.txt /wisdom.txt

# The command containers run when you give none: pick a line, let the whale say it.
CMD shuf -n 1 /wisdom.txt | cowsay
EOF
