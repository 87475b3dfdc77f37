package dev.streamtune.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {..}}}, then the raw
 * little-endian tensor bytes.
 *
 * <p>Reading widens F16 and BF16 to F32 in Java (BF16 arrays abort the bundled libtorch); F32 and F64 are
 * read as they are; I64/I32 are read as integers. Writing stores each array in its own type (F32, F64,
 * I64, I32), so a write followed by a read is bit-exact. Pickle formats are never read.
 */
public final class SafeTensors {
    static {
        dev.streamtune.model.CpuTuning.apply(); // before libtorch loads: MKL's AVX-512 kernels on AMD
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private SafeTensors() {}

    /** Reads every tensor of {@code file} into arrays owned by {@code manager}, in file order. */
    public static Map<String, NDArray> read(Path file, NDManager manager) throws IOException {
        return read(file, manager, null);
    }

    /**
     * Reads the tensors of {@code file} whose names {@code keep} accepts (all when null) into arrays owned
     * by {@code manager}.
     */
    public static Map<String, NDArray> read(Path file, NDManager manager, java.util.function.Predicate<String> keep)
            throws IOException {
        Map<String, NDArray> result = new LinkedHashMap<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > fileSize) {
                throw new IOException(file + ": not a safetensors file (header length " + headerLength + ")");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            JsonNode header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
            long dataStart = 8 + headerLength;
            Iterator<Map.Entry<String, JsonNode>> fields = header.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                String name = field.getKey();
                if (name.equals("__metadata__") || (keep != null && !keep.test(name))) {
                    continue;
                }
                JsonNode info = field.getValue();
                String dtype = info.path("dtype").asText();
                JsonNode shapeNode = info.path("shape");
                long[] dims = new long[shapeNode.size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = shapeNode.get(i).asLong();
                }
                Shape shape = new Shape(dims);
                long begin = info.path("data_offsets").get(0).asLong();
                long end = info.path("data_offsets").get(1).asLong();
                long expected = shape.size() * bytesPerElement(dtype, name, file);
                if (end - begin != expected || begin < 0 || dataStart + end > fileSize) {
                    throw new IOException(file + ": tensor " + name + " has " + (end - begin) + " bytes, expected "
                            + expected + " for " + dtype + " " + shape);
                }
                ByteBuffer raw = ByteBuffer.allocate(Math.toIntExact(end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                readFully(channel, raw, dataStart + begin);
                raw.flip();
                NDArray array = toArray(manager, raw, dtype, shape);
                array.setName(name);
                result.put(name, array);
            }
        } catch (RuntimeException e) {
            result.values().forEach(NDArray::close);
            throw e;
        }
        return result;
    }

    private static NDArray toArray(NDManager manager, ByteBuffer raw, String dtype, Shape shape) {
        int count = Math.toIntExact(shape.size());
        switch (dtype) {
            case "F32": {
                float[] values = new float[count];
                raw.asFloatBuffer().get(values);
                return manager.create(values, shape);
            }
            case "F64": {
                double[] values = new double[count];
                raw.asDoubleBuffer().get(values);
                return manager.create(values, shape);
            }
            case "BF16": {
                float[] values = new float[count];
                for (int i = 0; i < count; i++) {
                    values[i] = Float.intBitsToFloat((raw.getShort() & 0xffff) << 16); // bf16 is the high half of an f32
                }
                return manager.create(values, shape);
            }
            case "F16": {
                float[] values = new float[count];
                for (int i = 0; i < count; i++) {
                    values[i] = halfToFloat(raw.getShort());
                }
                return manager.create(values, shape);
            }
            case "I64": {
                long[] values = new long[count];
                raw.asLongBuffer().get(values);
                return manager.create(values, shape);
            }
            case "I32": {
                int[] values = new int[count];
                raw.asIntBuffer().get(values);
                return manager.create(values, shape);
            }
            default:
                throw new IllegalArgumentException("unsupported safetensors dtype " + dtype);
        }
    }

    /** IEEE 754 binary16 to binary32, exact (including subnormals, infinities and NaN). */
    static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            float value = mantissa * 0x1p-24f; // subnormal: mantissa · 2^-24, exact in f32
            return sign == 0 ? value : -value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static long bytesPerElement(String dtype, String name, Path file) throws IOException {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IOException(file + ": tensor " + name + " has unsupported dtype " + dtype);
        };
    }

    /**
     * Writes {@code tensors} (in map order) to {@code file} with optional string metadata. FLOAT32,
     * FLOAT64, INT64 and INT32 arrays are stored as F32, F64, I64, I32.
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> entry : tensors.entrySet()) {
            NDArray t = entry.getValue();
            String dtype = safetensorsType(t.getDataType(), entry.getKey());
            long bytes = t.size() * t.getDataType().getNumOfBytes();
            ObjectNode info = header.putObject(entry.getKey());
            info.put("dtype", dtype);
            var shape = info.putArray("shape");
            for (long d : t.getShape().getShape()) {
                shape.add(d);
            }
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // spaces keep the data 8-byte aligned
        byte[] headerBytes = new byte[padded];
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            headerBytes[i] = ' ';
        }
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("safetensors writing needs a little-endian host");
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temporary), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            for (NDArray t : tensors.values()) {
                ByteBuffer data = t.toByteBuffer(); // raw bytes in native order, little-endian on supported hosts
                byte[] copy = new byte[data.remaining()];
                data.get(copy);
                out.write(copy);
            }
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static String safetensorsType(DataType type, String name) {
        return switch (type) {
            case FLOAT32 -> "F32";
            case FLOAT64 -> "F64";
            case INT64 -> "I64";
            case INT32 -> "I32";
            default -> throw new IllegalArgumentException("cannot write tensor " + name + " of type " + type);
        };
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            at += n;
        }
    }
}
