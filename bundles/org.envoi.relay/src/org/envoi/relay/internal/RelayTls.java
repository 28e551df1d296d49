package org.envoi.relay.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

import org.envoi.api.EnvoiException;
import org.envoi.api.ErrorCode;

/**
 * The relay's TLS: the administrator's certificate and key (PEM files), or one Envoi makes on first start in
 * {@code <data>/relay/} with the JDK's keytool (self-signed, for the host's name, localhost and 127.0.0.1, 3 years) and
 * keeps; its fingerprint is printed so that the ERP's administrator can check what the ERP is shown.
 */
final class RelayTls {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    final SSLContext context;
    final String fingerprint;
    final boolean generated;

    private RelayTls(SSLContext context, String fingerprint, boolean generated) {
        this.context = context;
        this.fingerprint = fingerprint;
        this.generated = generated;
    }

    static RelayTls load(Optional<Path> certificate, Optional<Path> key, Path relayFolder) {
        if (certificate.isPresent() != key.isPresent()) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, certificate.isPresent() ? "--tls-key" : "--tls-cert",
                    "Give both --tls-cert (the certificate chain, PEM) and --tls-key (its private key, PEM), or"
                            + " neither (Envoi then makes its own certificate).", null);
        }
        try {
            if (certificate.isPresent()) {
                return fromPem(certificate.get(), key.get());
            }
            return generated(relayFolder);
        } catch (GeneralSecurityException | IOException e) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, certificate.isPresent() ? "--tls-cert" : "relay",
                    "The relay's TLS certificate could not be loaded: " + e.getMessage(), e);
        }
    }

    private static RelayTls fromPem(Path certFile, Path keyFile) throws GeneralSecurityException, IOException {
        List<Certificate> chain = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (byte[] der : blocks(certFile, "--tls-cert", "CERTIFICATE")) {
            chain.add(cf.generateCertificate(new ByteArrayInputStream(der)));
        }
        List<byte[]> keys = blocks(keyFile, "--tls-key", "PRIVATE KEY");
        PrivateKey key = null;
        for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
            try {
                key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(keys.get(0)));
                break;
            } catch (GeneralSecurityException tryNext) {
                // the PEM does not say which
            }
        }
        if (key == null) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "--tls-key", keyFile + " holds no RSA, EC or Ed25519"
                    + " private key Envoi can read.", null);
        }
        if (!matches(key, chain.get(0))) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, "--tls-key", "The key in " + keyFile
                    + " does not go with the certificate in " + certFile + ": give the key of that certificate.", null);
        }
        char[] none = new char[0];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("relay", key, none, chain.toArray(Certificate[]::new));
        return new RelayTls(context(ks, none), fingerprint(chain.get(0)), false);
    }

    /** Whether the key signs what the certificate's public key verifies. */
    private static boolean matches(PrivateKey key, Certificate cert) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        java.security.Signature sign = java.security.Signature.getInstance(algorithm);
        sign.initSign(key);
        sign.update(probe);
        byte[] signature = sign.sign();
        java.security.Signature verify = java.security.Signature.getInstance(algorithm);
        try {
            verify.initVerify(cert.getPublicKey());
            verify.update(probe);
            return verify.verify(signature);
        } catch (java.security.InvalidKeyException e) {
            return false;
        }
    }

    /** The DER of each PEM block of that type in the file; a clear error when there is none. */
    private static List<byte[]> blocks(Path file, String option, String type) throws IOException {
        if (!Files.isReadable(file)) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, "Envoi cannot read " + file + " (" + option
                    + "): give a readable PEM file.", null);
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<byte[]> out = new ArrayList<>();
        Matcher m = PEM.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(type)) {
                out.add(Base64.getMimeDecoder().decode(m.group(2)));
            } else if (type.equals("PRIVATE KEY") && m.group(1).endsWith("PRIVATE KEY")) {
                throw new EnvoiException(ErrorCode.INVALID_INPUT, option, file + " holds a '" + m.group(1) + "'"
                        + " block; Envoi reads unencrypted PKCS#8 ('PRIVATE KEY'): convert it with"
                        + " openssl pkcs8 -topk8 -nocrypt -in " + file.getFileName() + " -out key.pem", null);
            }
        }
        if (out.isEmpty()) {
            throw new EnvoiException(ErrorCode.INVALID_INPUT, option, file + " (" + option + ") holds no PEM '"
                    + type + "' block.", null);
        }
        return out;
    }

    /** Envoi's own certificate, made once with keytool into {@code relay/tls.p12}; its password beside it. */
    private static RelayTls generated(Path folder) throws GeneralSecurityException, IOException {
        Path store = folder.resolve("tls.p12");
        Path pass = folder.resolve("tls.pass");
        boolean made = false;
        if (!Files.exists(store) || !Files.exists(pass)) {
            make(folder, store, pass);
            made = true;
        }
        char[] password = Files.readString(pass, StandardCharsets.US_ASCII).strip().toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, password);
        }
        return new RelayTls(context(ks, password), fingerprint(ks.getCertificate("relay")), made);
    }

    private static void make(Path folder, Path store, Path pass) throws IOException {
        Files.createDirectories(folder);
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Files.deleteIfExists(pass);
        Files.deleteIfExists(store);
        if (folder.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(pass, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(pass, password, StandardCharsets.US_ASCII);
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getCanonicalHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
        Path keytool = java.resolveSibling(java.getFileName().toString().endsWith(".exe") ? "keytool.exe"
                : "keytool");
        // the password goes through the environment, never the command line (other users see that one)
        ProcessBuilder pb = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "relay", "-keyalg", "EC",
                "-groupname", "secp256r1", "-validity", "1095", "-dname", "CN=" + host + ", O=Envoi relay",
                "-ext", "SAN=dns:" + host + ",dns:localhost,ip:127.0.0.1,ip:0:0:0:0:0:0:0:1", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass:env", "ENVOI_RELAY_STORE", "-keypass:env",
                "ENVOI_RELAY_STORE").redirectErrorStream(true);
        pb.environment().put("ENVOI_RELAY_STORE", password);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool (" + keytool + ") could not make the relay's certificate: "
                        + output.strip() + "; give one with --tls-cert and --tls-key");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the relay's certificate", e);
        }
    }

    private static SSLContext context(KeyStore ks, char[] password) throws GeneralSecurityException {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    static String fingerprint(Certificate c) throws GeneralSecurityException {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
    }

    /** The certificate's subject, for the start message. */
    static String subject(Certificate c) {
        return c instanceof X509Certificate x ? x.getSubjectX500Principal().getName() : "";
    }
}
