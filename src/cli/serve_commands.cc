// serve: the HTTP API, webhooks and links (src/server/, docs/server.md), with
// the dispatch worker on a thread of the same process unless --no-worker.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "channels/config.h"
#include "cli/cli.h"
#include "dispatch/channel_source.h"
#include "dispatch/worker.h"
#include "server/server.h"

namespace recall::cli {

namespace {

std::atomic<bool> g_serve_stop{false};
extern "C" void OnServeSignal(int) { g_serve_stop.store(true); }

// "HOST:PORT", "[v6]:PORT" or ":PORT" (loopback).
Status ParseListen(const std::string& listen, std::string* host, int* port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgumentError("--listen must be HOST:PORT");
  std::string h = listen.substr(0, colon);
  const std::string p = listen.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (h.empty()) h = "127.0.0.1";
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgumentError("--listen: the port must be a number 0..65535");
  }
  const int n = std::stoi(p);
  if (n > 65535) return InvalidArgumentError("--listen: the port must be a number 0..65535");
  *host = h;
  *port = n;
  return OkStatus();
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

void RegisterServeCommands(CLI::App& app, Context& ctx) {
  struct ServeArgs {
    std::string listen = "127.0.0.1:8080";
    std::string tls_cert, tls_key, channels, public_url, console_dir;
    bool no_worker = false;
    bool allow_plain = false;
    int max_body_mib = 8;
    int max_import_mib = 512;
    int read_timeout = 10;
    int threads = 64;
    std::vector<std::string> kannel_allow;
  };
  auto a = std::make_shared<ServeArgs>();
  auto* serve = app.add_subcommand("serve", "run the HTTP API, provider webhooks and patient links (and the worker)");
  serve->add_option("--listen", a->listen, "HOST:PORT (default 127.0.0.1:8080; port 0 picks a free one)");
  serve->add_option("--tls-cert", a->tls_cert, "PEM certificate chain: serve HTTPS (TLS 1.2+, HSTS)");
  serve->add_option("--tls-key", a->tls_key, "PEM private key for --tls-cert");
  serve->add_flag("--no-worker", a->no_worker, "do not run the dispatch worker in this process");
  serve->add_option("--channels", a->channels, "channel configuration for the worker (default: <data>/channels.json)");
  serve->add_flag("--allow-plain-http", a->allow_plain,
                  "allow plain HTTP on a non-loopback address (behind a TLS-terminating proxy only)");
  serve->add_option("--max-body-mib", a->max_body_mib, "largest request body in MiB (1..512; default 8)")
      ->check(CLI::Range(1, 512));
  serve->add_option("--max-import-mib", a->max_import_mib,
                    "largest CSV upload to .../patients/import in MiB, streamed (1..4096; default 512)")
      ->check(CLI::Range(1, 4096));
  serve->add_option("--read-timeout", a->read_timeout, "seconds a client may stall while sending (1..300; default 10)")
      ->check(CLI::Range(1, 300));
  serve->add_option("--threads", a->threads,
                    "connection threads: the most concurrent keep-alive clients served at once (4..1024; default 64)")
      ->check(CLI::Range(4, 1024));
  serve->add_option("--public-url", a->public_url, "the URL providers call (Twilio signatures), e.g. https://recall.example");
  serve->add_option("--console-dir", a->console_dir,
                    "serve the web console from this folder (e.g. web/console) instead of the embedded copy")
      ->check(CLI::ExistingDirectory);
  serve->add_option("--kannel-allow", a->kannel_allow, "a source IP allowed to call the Kannel webhooks besides loopback");
  serve->callback(Command(ctx, [&ctx, a]() -> Status {
    ASSIGN_OR_RETURN(auto* engine, ctx.Engine());
    server::ServerOptions options;
    RETURN_IF_ERROR(ParseListen(a->listen, &options.host, &options.port));
    options.tls_cert = a->tls_cert;
    options.tls_key = a->tls_key;
    options.allow_plain_non_loopback = a->allow_plain;
    options.max_body_bytes = static_cast<size_t>(a->max_body_mib) << 20;
    options.max_import_bytes = static_cast<size_t>(a->max_import_mib) << 20;
    options.read_timeout = std::chrono::seconds(a->read_timeout);
    options.threads = a->threads;
    options.run_worker = !a->no_worker;
    options.public_url = a->public_url;
    options.kannel_allow_from = a->kannel_allow;
    options.console_dir = a->console_dir;
    // Webhook credentials come from the environment (docs/server.md), never from argv.
    options.kannel_secret = Env("RECALL_KANNEL_WEBHOOK_SECRET");
    options.twilio_auth_token = Env("RECALL_TWILIO_AUTH_TOKEN");
    options.rvm_secret = Env("RECALL_RVM_WEBHOOK_SECRET");

    // The worker's channels are loaded before the port opens, so a bad file fails fast.
    std::unique_ptr<dispatch::RegistryChannelSource> source;
    if (options.run_worker) {
      const std::string path = a->channels.empty()
                                   ? (std::filesystem::path(engine->data_dir()) / "channels.json").string()
                                   : a->channels;
      auto registry = channels::LoadChannelConfig(path, engine->clock());
      if (!registry.ok()) {
        if (registry.status().code() == StatusCode::kNotFound) {
          return FailedPreconditionError("no channel configuration at " + path +
                                         " (see docs/channels.md; --channels FILE, or --no-worker)");
        }
        return registry.status();
      }
      source = std::make_unique<dispatch::RegistryChannelSource>(std::move(registry).value());
    }

    ASSIGN_OR_RETURN(auto srv, server::Server::Create(*engine, [] { return SharedScanner(); }, options));

    g_serve_stop.store(false);
    std::signal(SIGTERM, OnServeSignal);
    std::signal(SIGINT, OnServeSignal);
    std::signal(SIGPIPE, SIG_IGN);

    std::atomic<bool> worker_stop{false};
    std::thread worker_thread;
    Status worker_status;
    auto worker_engine = engine->WithActor("system:worker");
    if (source) {
      ASSIGN_OR_RETURN(const scanner::Scanner* scanner, SharedScanner());
      worker_thread = std::thread([&, scanner] {
        dispatch::Worker w(*worker_engine, *scanner, *source, dispatch::WorkerOptions{});
        auto stats = w.Run(worker_stop);
        if (!stats.ok()) worker_status = stats.status();
      });
    }
    // Stops the server on SIGTERM/SIGINT (the handler only sets a flag).
    std::atomic<bool> serving{true};
    std::thread watcher([&] {
      while (serving.load()) {
        if (g_serve_stop.load()) srv->Stop();  // repeated: a signal may come before the accept loop starts
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });

    if (ctx.json) {
      std::cout << nlohmann::json{{"url", srv->url()}, {"port", srv->port()}, {"worker", options.run_worker}}.dump()
                << std::endl;
    } else {
      std::cout << "recall: serving on " << srv->url() << (options.run_worker ? " (with the worker)" : "")
                << std::endl;
    }
    Status served = srv->Serve();
    serving.store(false);
    watcher.join();
    worker_stop.store(true);
    if (worker_thread.joinable()) worker_thread.join();
    RETURN_IF_ERROR(served);
    RETURN_IF_ERROR(worker_status);
    if (!ctx.json) std::cout << "recall: stopped" << std::endl;
    return OkStatus();
  }));
}

}  // namespace recall::cli
