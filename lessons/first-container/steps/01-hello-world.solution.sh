docker run hello-world
