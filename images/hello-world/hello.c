/* Quai's hello-world: a stand-in for the classic first image, built offline. It only
 * prints, so the image is one static binary and nothing else. */
#include <unistd.h>
#include <string.h>

static const char message[] =
    "\n"
    "Hello from Docker, inside your Quai playground!\n"
    "\n"
    "If you can read this, your Docker setup works. Here is what just happened:\n"
    " 1. The docker command (the client) asked the Docker daemon to run \"hello-world\".\n"
    " 2. The daemon looked for the hello-world image. On Quai it is already on the node;\n"
    "    elsewhere it would be pulled from a registry such as Docker Hub.\n"
    " 3. The daemon created a new container from that image and started the one program\n"
    "    it holds, the program that is printing these lines.\n"
    " 4. The daemon streamed the container's output to the client, which showed it in\n"
    "    your terminal. The program then ended, and so did the container.\n"
    "\n"
    "See the containers you ran, even the stopped ones:\n"
    " $ docker ps -a\n"
    "\n"
    "And the images this Docker daemon holds:\n"
    " $ docker images\n"
    "\n";

int main(void) {
    const char *p = message;
    size_t left = sizeof(message) - 1;
    while (left > 0) {
        ssize_t n = write(1, p, left);
        if (n <= 0) return 1;
        p += n;
        left -= (size_t)n;
    }
    return 0;
}
