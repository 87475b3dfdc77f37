package dev.streamtune.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM.
 *
 * <p>{@link #start(BrokerConfig)} formats the storage on first use (a fresh cluster id is stored
 * in {@code meta.properties}), starts {@link KafkaRaftServer} and returns once an admin client
 * sees the broker. A later start on the same data directory keeps topics and records.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    static final String CONTROLLER_LISTENER = "CONTROLLER";
    static final String CLIENT_LISTENER = "PLAINTEXT";
    /** How long {@link #start} and {@link #createTopics} wait for the broker before giving up. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /** System property; set to {@code false} to keep Kafka's INFO logging under slf4j-simple. */
    public static final String QUIET_PROPERTY = "streamtune.broker.quiet";
    private static final int AUTO_PORT_ATTEMPTS = 3;

    private final BrokerConfig config;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final String clusterId;
    private final Duration startupTime;
    private final Admin admin;
    private final DataDirLock lock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedKafkaBroker(BrokerConfig config, KafkaRaftServer server, String bootstrapServers,
                                String clusterId, Duration startupTime, Admin admin, DataDirLock lock) {
        this.config = config;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.clusterId = clusterId;
        this.startupTime = startupTime;
        this.admin = admin;
        this.lock = lock;
    }

    /**
     * Formats the storage if it has never been formatted, starts the broker and waits until a
     * client can talk to it.
     *
     * @throws IllegalArgumentException if {@code config} is null
     * @throws IllegalStateException    if the broker cannot start (port in use, data directory
     *                                  locked by another broker, not ready in time, ...)
     */
    public static EmbeddedKafkaBroker start(BrokerConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("broker config must be set");
        }
        quietKafkaLogging();
        long t0 = System.nanoTime();
        // Fail fast with a clear message instead of whatever the socket server reports.
        if (config.kafkaPort() != 0) {
            checkPortFree(config.host(), config.kafkaPort(), "Kafka");
        }
        if (config.controllerPort() != 0) {
            checkPortFree(config.host(), config.controllerPort(), "controller");
        }
        DataDirLock lock = DataDirLock.acquire(config.dataDir());
        try {
            String clusterId = formatIfNeeded(config);
            boolean autoPorts = config.kafkaPort() == 0 || config.controllerPort() == 0;
            int attempts = autoPorts ? AUTO_PORT_ATTEMPTS : 1;
            for (int attempt = 1; ; attempt++) {
                int kafkaPort = config.kafkaPort() == 0 ? freePort(config.host()) : config.kafkaPort();
                int controllerPort = config.controllerPort() == 0 ? freePort(config.host()) : config.controllerPort();
                if (kafkaPort == controllerPort) { // two free-port picks may coincide; pick again
                    continue;
                }
                try {
                    return startOnce(config, clusterId, kafkaPort, controllerPort, t0, lock);
                } catch (PortInUseException e) {
                    if (attempt >= attempts) { // a free port picked here was taken before Kafka bound it
                        throw new IllegalStateException(e.getMessage(), e.getCause());
                    }
                    LOG.debug("port clash on attempt {}, retrying with other free ports: {}", attempt, e.getMessage());
                }
            }
        } catch (RuntimeException e) {
            lock.release();
            throw e;
        }
    }

    private static EmbeddedKafkaBroker startOnce(BrokerConfig config, String clusterId, int kafkaPort,
                                                 int controllerPort, long t0, DataDirLock lock) {
        Map<String, Object> props = serverProperties(config, kafkaPort, controllerPort);
        KafkaConfig kafkaConfig;
        try {
            kafkaConfig = new KafkaConfig(props, false);
        } catch (RuntimeException e) {
            throw new IllegalStateException("invalid Kafka broker configuration: " + e.getMessage(), e);
        }
        String bootstrap = config.host() + ":" + kafkaPort;
        KafkaRaftServer server;
        try {
            server = new KafkaRaftServer(kafkaConfig, Time.SYSTEM); // reads meta.properties, locks the log dir
        } catch (RuntimeException e) {
            throw new IllegalStateException("Kafka broker cannot use data directory " + config.dataDir()
                    + ": " + rootMessage(e), e);
        }
        Admin admin = null;
        try {
            server.startup();
            admin = Admin.create(adminProperties(bootstrap));
            awaitReady(admin, bootstrap);
        } catch (RuntimeException e) {
            closeQuietly(admin);
            stopQuietly(server);
            if (isBindFailure(e)) {
                throw new PortInUseException("cannot start Kafka broker: a port is already in use (Kafka port "
                        + kafkaPort + ", controller port " + controllerPort + " on " + config.host() + ")", e);
            }
            throw new IllegalStateException("Kafka broker failed to start (data directory "
                    + config.dataDir() + ", " + bootstrap + "): " + rootMessage(e), e);
        }
        Duration startup = Duration.ofNanos(System.nanoTime() - t0);
        LOG.info("Kafka broker ready at {} (cluster {}, data {}) in {} ms",
                bootstrap, clusterId, config.dataDir(), startup.toMillis());
        return new EmbeddedKafkaBroker(config, server, bootstrap, clusterId, startup, admin, lock);
    }

    /** {@code host:port} of the client listener, with the real port when 0 was asked. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The cluster id stored in {@code meta.properties}. */
    public String clusterId() {
        return clusterId;
    }

    /** Wall time {@link #start} took, formatting included. */
    public Duration startupTime() {
        return startupTime;
    }

    public BrokerConfig config() {
        return config;
    }

    /** {@code bootstrap.servers} only; a convenience for tests and clients. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }

    /**
     * Creates the topics that do not exist yet (existing topics are left alone, whatever their
     * partition count) and waits until every requested topic is visible with leaders.
     */
    public void createTopics(Collection<TopicSpec> topics) {
        ensureOpen();
        if (topics == null || topics.isEmpty()) {
            return;
        }
        Map<String, TopicSpec> byName = new LinkedHashMap<>();
        for (TopicSpec t : topics) {
            if (t == null) {
                throw new IllegalArgumentException("topic list contains null");
            }
            byName.put(t.name(), t);
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try {
            Set<String> existing = admin.listTopics().names().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (TopicSpec t : byName.values()) {
                if (!existing.contains(t.name())) {
                    missing.add(new NewTopic(t.name(), t.partitions(), (short) 1).configs(t.configs()));
                }
            }
            if (!missing.isEmpty()) {
                CreateTopicsResult result = admin.createTopics(missing);
                for (Map.Entry<String, KafkaFuture<Void>> e : result.values().entrySet()) {
                    try {
                        e.getValue().get(remainingMs(deadline), TimeUnit.MILLISECONDS);
                    } catch (ExecutionException ex) {
                        if (!(ex.getCause() instanceof TopicExistsException)) { // lost a race: fine
                            throw new IllegalStateException("cannot create topic '" + e.getKey() + "': "
                                    + rootMessage(ex), ex.getCause());
                        }
                    }
                }
            }
            TopicReadiness.awaitWritable(admin, byName.keySet(), deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics " + byName.keySet() + " on " + bootstrapServers
                    + ": " + rootMessage(e), e);
        }
    }

    /** Stops the broker cleanly and waits for it; later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeQuietly(admin);
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            lock.release();
        }
        LOG.info("Kafka broker at {} stopped", bootstrapServers);
    }

    public boolean isClosed() {
        return closed.get();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("Kafka broker at " + bootstrapServers + " is closed");
        }
    }

    // ---- formatting and configuration ----

    /** Formats the log directory unless it holds {@code meta.properties}; returns the cluster id. */
    static String formatIfNeeded(BrokerConfig config) {
        Path logDir = config.logDir();
        Path meta = logDir.resolve("meta.properties");
        try {
            if (Files.exists(meta)) {
                return readClusterId(meta);
            }
            Files.createDirectories(logDir);
            String clusterId = Uuid.randomUuid().toString();
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setClusterId(clusterId)
                    .setNodeId(config.nodeId())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(logDir.toString())
                    .setDirectories(List.of(logDir.toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
            LOG.info("formatted Kafka storage in {} (cluster {})", logDir, clusterId);
            return clusterId;
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare Kafka data directory " + logDir + ": " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + rootMessage(e), e);
        }
    }

    private static String readClusterId(Path meta) throws IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newInputStream(meta)) {
            p.load(in);
        }
        String id = p.getProperty("cluster.id");
        if (id == null || id.isBlank()) {
            throw new IllegalStateException(meta + " has no cluster.id; delete the data directory to start afresh");
        }
        return id;
    }

    static Map<String, Object> serverProperties(BrokerConfig c, int kafkaPort, int controllerPort) {
        Map<String, Object> p = new HashMap<>();
        String logDir = c.logDir().toString();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(c.nodeId()));
        p.put("controller.quorum.voters", c.nodeId() + "@" + c.host() + ":" + controllerPort);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("listeners", CLIENT_LISTENER + "://" + c.host() + ":" + kafkaPort + ","
                + CONTROLLER_LISTENER + "://" + c.host() + ":" + controllerPort);
        p.put("advertised.listeners", CLIENT_LISTENER + "://" + c.host() + ":" + kafkaPort);
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("log.dirs", logDir);
        p.put("metadata.log.dir", logDir);
        // one node: every replication factor and min ISR is 1
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", Long.toString(c.cleanerDedupeBufferBytes()));
        p.putAll(c.overrides());
        return p;
    }

    private static Map<String, Object> adminProperties(String bootstrap) {
        Map<String, Object> p = new HashMap<>();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "streamtune-embedded-broker");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, 50);
        return p;
    }

    private static void awaitReady(Admin admin, String bootstrap) {
        try {
            var nodes = admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (nodes.isEmpty()) {
                throw new IllegalStateException("broker at " + bootstrap + " reports no nodes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the broker at " + bootstrap, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("broker at " + bootstrap + " not reachable within "
                    + READY_TIMEOUT.toSeconds() + " s: " + rootMessage(e), e);
        }
    }

    /**
     * Kafka's own {@code .lock} is taken only when the broker part starts, after the controller
     * part has already opened the metadata log; a second broker on the same directory would write
     * to the running one's metadata log before failing. This lock is taken before anything else.
     */
    private static final class DataDirLock {
        private final FileChannel channel;
        private final FileLock fileLock;

        private DataDirLock(FileChannel channel, FileLock fileLock) {
            this.channel = channel;
            this.fileLock = fileLock;
        }

        static DataDirLock acquire(Path dataDir) {
            Path file = dataDir.resolve("streamtune-broker.lock");
            FileChannel ch = null;
            try {
                Files.createDirectories(dataDir);
                ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (OverlappingFileLockException e) {
                    l = null; // held by another broker in this JVM
                }
                if (l == null) {
                    ch.close();
                    throw new IllegalStateException("cannot start Kafka broker: data directory " + dataDir
                            + " is in use by another running broker (in this or another process)");
                }
                return new DataDirLock(ch, l);
            } catch (IOException e) {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // already failing
                    }
                }
                throw new IllegalStateException("cannot use Kafka data directory " + dataDir + ": " + e.getMessage(), e);
            }
        }

        void release() {
            try {
                fileLock.release();
            } catch (IOException e) {
                LOG.debug("releasing data directory lock failed", e);
            } finally {
                try {
                    channel.close();
                } catch (IOException e) {
                    LOG.debug("closing data directory lock failed", e);
                }
            }
        }
    }

    // ---- ports ----

    private static InetAddress bindAddress(String host) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve broker host '" + host + "'", e);
        }
    }

    static int freePort(String host) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bindAddress(host), 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot find a free port on " + host + ": " + e.getMessage(), e);
        }
    }

    private static void checkPortFree(String host, int port, String what) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bindAddress(host), port));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start Kafka broker: " + what + " port " + port + " on " + host
                    + " is already in use (" + e.getMessage() + "); stop whatever uses it or choose another port", e);
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && (m.contains("Address already in use") || m.contains("failed to bind"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    private static final class PortInUseException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PortInUseException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    // ---- helpers ----

    private static long remainingMs(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + m;
    }

    private static void closeQuietly(Admin admin) {
        if (admin != null) {
            try {
                admin.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("admin close failed", e);
            }
        }
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.debug("shutdown after failed start failed", e);
        }
    }

    /**
     * Under slf4j-simple (what the app and the tests use), Kafka's server side logs hundreds of
     * INFO lines at start. Unless the user already chose a level for those loggers, or set
     * {@value #QUIET_PROPERTY}=false, lower them to WARN. Two loggers are shared with clients:
     * {@code AbstractConfig} (the broker re-dumps its ~450-line config dozens of times while it
     * starts, clients dump theirs once each) and {@code AppInfoParser} (version banners); those
     * dumps are lost for clients too unless the app sets a level for them itself.
     */
    static void quietKafkaLogging() {
        if ("false".equalsIgnoreCase(System.getProperty(QUIET_PROPERTY))) {
            return;
        }
        String prefix = "org.slf4j.simpleLogger.log.";
        for (String logger : List.of("kafka", "state.change.logger", "org.apache.kafka.server",
                "org.apache.kafka.raft", "org.apache.kafka.controller", "org.apache.kafka.metadata",
                "org.apache.kafka.image", "org.apache.kafka.storage", "org.apache.kafka.coordinator",
                "org.apache.kafka.network", "org.apache.kafka.security", "org.apache.kafka.queue",
                "org.apache.kafka.snapshot", "org.apache.kafka.common.network",
                "org.apache.kafka.common.utils.internals.AppInfoParser", "org.apache.kafka.common.config.AbstractConfig")) {
            if (System.getProperty(prefix + logger) == null) {
                System.setProperty(prefix + logger, "warn");
            }
        }
    }
}
