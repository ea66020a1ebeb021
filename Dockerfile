# Multi-stage build of the Bareku front end on Debian bookworm.
#   docker build -t bareku .
#   docker run -v $PWD/site:/srv bareku /srv/config.sqlite <server-uuid>
FROM golang:1.26-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzmq3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -o /out/ ./cmd/mongrel2 ./cmd/m2sh

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzmq5 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/mongrel2 /out/m2sh /usr/local/bin/
WORKDIR /srv
ENTRYPOINT ["/usr/local/bin/mongrel2"]
