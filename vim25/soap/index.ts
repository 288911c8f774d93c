export * from "./values.ts";
export * from "./fault.ts";
export * from "./decode.ts";
export * from "./encode.ts";
export { parseXml, escapeXml, type XmlElement } from "./xml.ts";
