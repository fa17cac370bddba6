/* The machine's floor for bench/run: the least an HTTP/1.1 server can do per request.
 *
 *   cc -O2 -o floor floor.c && ./floor PORT
 *
 * One thread, one epoll, edge-triggered non-blocking sockets on 127.0.0.1:PORT. Every
 * request (counted by its blank line, CR LF CR LF, so that pipelined ones are answered
 * too) gets the same fixed response with a 1 KiB body: no parsing, no files, no dates, no
 * logging. Connection: close is not honoured (wrk's -H 'Connection: close' is not measured
 * against it). Whatever a real server does beyond this is its cost. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static char response[2048];
static size_t response_len;

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    char body[1024];
    memset(body, 'x', sizeof body);
    response_len = (size_t)snprintf(response, sizeof response,
                                    "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                                    "Content-Type: text/html\r\n\r\n", sizeof body);
    memcpy(response + response_len, body, sizeof body);
    response_len += sizeof body;

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096) ||
        getsockname(ls, (struct sockaddr *)&a, &alen)) {
        perror("floor: listen");
        return 1;
    }
    printf("floor listening on http://127.0.0.1:%d/\n", ntohs(a.sin_port));
    fflush(stdout);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, events[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    char buf[16384];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLET, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            for (;;) {
                ssize_t got = read(fd, buf, sizeof buf);
                if (got < 0 && errno == EAGAIN)
                    break;
                if (got <= 0) {
                    close(fd);
                    break;
                }
                /* One response per blank line seen (a request split across reads at its
                 * blank line is not expected from wrk). */
                for (ssize_t k = 3; k < got; k++)
                    if (buf[k] == '\n' && buf[k - 1] == '\r' && buf[k - 2] == '\n' &&
                        buf[k - 3] == '\r')
                        if (write(fd, response, response_len) < 0)
                            break;
            }
        }
    }
}
